/* Small, locale-aware formatting shared by the pages. */

export function dateTime(iso: string | null): string {
  if (iso === null) return 'never';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function percent(share: number | null): string {
  if (share === null || Number.isNaN(share)) return '—';
  return `${(share * 100).toFixed(share > 0 && share < 0.1 ? 1 : 0)} %`;
}

export function count(n: number): string {
  return n.toLocaleString();
}

/** "3 batches" / "1 batch". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
