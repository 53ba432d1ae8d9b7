#!/usr/bin/env node
// The installed command: runs the compiled CLI in dist/ (npm run build, run by `prepare` on npm install and
// npm ci, and by `prepack`). It never compiles TypeScript at run time.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `mfa-remediation … | head`: a reader that stops early closes the pipe; stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli/main.js'))
    throw error;
  process.stderr.write(
    'mfa-remediation: not built: run "npm run build" (npm install does it through "prepare")\n',
  );
  process.exit(2);
}
process.exitCode = await cli.main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
