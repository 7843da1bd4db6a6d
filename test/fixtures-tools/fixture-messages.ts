// Deterministic messages for fixtures: fixed dates, addresses under example.org, no host names,
// so that a recording holds nothing of the machine it was made on and can be made again.

/** An RFC 5322 text/plain message with CRLF line ends, about `size` bytes long. */
export function fixtureMessage(n: number, subject: string, size = 600): Buffer {
  const head = [
    'From: Alice Example <alice@example.org>', 'To: Bob Example <bob@example.org>', `Subject: ${subject}`,
    `Date: Mon, 0${n % 9 + 1} Jan 2024 12:00:00 +0000`, `Message-ID: <fixture-${n}@example.org>`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', '', ''].join('\r\n');
  const lines: string[] = [];
  let left = Math.max(size - head.length, 40);
  for (let i = 1; left > 0; i++) {
    const line = `line ${i} of message ${n}: the quick brown fox jumps over the lazy dog`.slice(0, Math.min(70, Math.max(1, left - 2)));
    lines.push(`${line}\r\n`);
    left -= line.length + 2;
  }
  return Buffer.from(head + lines.join(''), 'latin1');
}
