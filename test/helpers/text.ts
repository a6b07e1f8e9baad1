/** Text as an async iterable cut at the given chunk size, or at explicit cut points. */
export async function* pieces(text: string, size: number | number[]): AsyncIterable<string> {
  if (Array.isArray(size)) {
    let last = 0;
    for (const cut of [...size].sort((a, b) => a - b)) {
      if (cut > last) yield text.slice(last, cut);
      last = Math.max(last, cut);
    }
    if (last < text.length) yield text.slice(last);
    return;
  }
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
