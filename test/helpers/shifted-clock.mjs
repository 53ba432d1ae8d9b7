// Preloaded (`node --import`) into worker processes that the crash test starts: moves the process's clock
// forward by RELIABILITY_CLOCK_OFFSET_MS, the amount the test has moved the local cloud's clock, so that the
// worker and the cloud agree on the time (custodial leases, TOTP codes IAM checks against its own clock).
// Timers are untouched: only what `Date` reports moves.
const offset = Number(process.env.RELIABILITY_CLOCK_OFFSET_MS ?? 0);

if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date;
  const now = () => RealDate.now() + offset;
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, property, receiver) {
      return property === 'now' ? now : Reflect.get(target, property, receiver);
    },
  });
}
