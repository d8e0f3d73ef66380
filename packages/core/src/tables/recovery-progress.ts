/**
 * Recovery progress for people: a log line every few seconds (records, records/s, ETA) and,
 * when stdout is a terminal, one progress bar line redrawn in place.
 */
export interface ProgressSnapshot {
  label: string;
  read: number;
  total: number;
  startedAt: number;
}

export function progressFields(p: ProgressSnapshot, now = Date.now()) {
  const seconds = Math.max((now - p.startedAt) / 1000, 0.001);
  const recordsPerSec = Math.round(p.read / seconds);
  const etaSec = recordsPerSec > 0 ? Math.round(Math.max(p.total - p.read, 0) / recordsPerSec) : undefined;
  return { read: p.read, total: p.total, recordsPerSec, etaSec };
}

/** `vendor_rides[1] [########..........] 42% 4200/10000 3500 rec/s ETA 2s` */
export function progressBar(p: ProgressSnapshot, width = 24, now = Date.now()): string {
  const { recordsPerSec, etaSec } = progressFields(p, now);
  const fraction = p.total > 0 ? Math.min(p.read / p.total, 1) : 1;
  const filled = Math.round(fraction * width);
  const eta = etaSec === undefined ? '' : ` ETA ${etaSec}s`;
  return `${p.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${p.read}/${p.total} ${recordsPerSec} rec/s${eta}`;
}

/** Draws the bar on a terminal; a no-op elsewhere (logs carry the progress there). */
export function drawProgress(line: string | undefined): void {
  if (!process.stdout.isTTY) return;
  process.stdout.write(line === undefined ? '\r\x1b[2K' : `\r\x1b[2K${line}`);
}
