/** Command-line entry point. */
const [command = 'help'] = process.argv.slice(2);
if (command === 'local') {
  process.stdout.write(
    'mfa-remediation local: will boot the local cloud, seed a demo organisation, send Security Hub findings\n' +
      'and run the worker until the queue drains (the local cloud lands with issue 3).\n',
  );
} else {
  process.stdout.write(
    'usage: mfa-remediation <local|local-cloud|process|worker|sweep|enroll|dlq> [options]\n',
  );
}
