/**
 * The enrolment QR code for a terminal, compact enough for 80×24 with the key beside it: two modules per
 * character cell (the upper and lower half blocks), a two-module quiet zone, and error correction level L,
 * the smallest code (a screen shows the code sharply, so the extra redundancy of M is not needed). Drawn black
 * on white with ANSI colours, whatever the terminal's theme, because scanners expect dark modules on a light
 * ground.
 *
 * The URI carries only what authenticator apps need (Key URI Format: secret, issuer; SHA1, 6 digits and 30 s
 * are the defaults IAM's virtual devices use), which keeps the code a version or two smaller.
 */
import QRCode from 'qrcode';
import { visibleWidth, wrapText } from './output.ts';

const QUIET = 2;
const ON_WHITE = '\x1b[30;47m';
const RESET = '\x1b[0m';

/** The shortest otpauth URI for an IAM virtual MFA device: `AWS: <user>@<account>`, issuer AWS. */
export function compactOtpauthUri(seedBase32: string, label: string): string {
  return `otpauth://totp/${encodeURIComponent(`AWS:${label}`).replace('%3A', ':')}?secret=${seedBase32}&issuer=AWS`;
}

/** The QR code as terminal lines (each `size + 4` cells wide, `(size + 4) / 2` lines high, rounded up). */
export function renderQrLines(text: string): string[] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const size = modules.size;
  const dark = (row: number, col: number) =>
    row >= 0 && col >= 0 && row < size && col < size && Boolean(modules.get(row, col));
  const lines: string[] = [];
  for (let row = -QUIET; row < size + QUIET; row += 2) {
    let line = '';
    for (let col = -QUIET; col < size + QUIET; col++) {
      const top = dark(row, col);
      const bottom = dark(row + 1, col);
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(`${ON_WHITE}${line}${RESET}`);
  }
  return lines;
}

/**
 * The QR code with `side` (short lines) to its right when the terminal is wide enough, else below it. Side
 * lines are wrapped to the room left.
 */
export function besideQr(qr: readonly string[], side: readonly string[], columns: number): string {
  const qrWidth = visibleWidth(qr[0] ?? '');
  const room = columns - qrWidth - 2;
  if (room < 28) return [...qr, '', ...side].join('\n');
  const wrapped = side.flatMap((line) => wrapText(line, room));
  const height = Math.max(qr.length, wrapped.length);
  const top = Math.max(0, Math.floor((qr.length - wrapped.length) / 2));
  const lines: string[] = [];
  for (let i = 0; i < height; i++) {
    const left = qr[i] ?? ' '.repeat(qrWidth);
    const right = wrapped[i - top] ?? '';
    lines.push(right ? `${left}  ${right}` : left);
  }
  return lines.join('\n');
}

/** Key groups of four, four groups a line, so the key can be typed by hand from the side column. */
export function keyLines(seedBase32: string): string[] {
  const groups = seedBase32.match(/.{1,4}/g) ?? [];
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += 4) lines.push(`  ${groups.slice(i, i + 4).join(' ')}`);
  return lines;
}

/** What the guided enrolment shows for a new device: the QR code, and beside it how to add it by hand. */
export function renderDevice(device: { seed: string; label: string }, columns: number): string {
  const qr = renderQrLines(compactOtpauthUri(device.seed, device.label));
  return besideQr(
    qr,
    [
      'Scan this QR code with your authenticator app.',
      `It adds "AWS: ${device.label}".`,
      '',
      'Cannot scan it? Add a time-based account with this key:',
      ...keyLines(device.seed),
    ],
    columns,
  );
}
