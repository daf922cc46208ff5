// Small facts about a Python source line that editor features need (where the code ends, before a comment).

/** Column of the line's `#` comment outside string literals, or -1. */
export function commentColumn(src: string): number {
  let quote: string | null = null;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return i;
  }
  return -1;
}

/** Column just after the line's last code character (trailing comment and spaces excluded); 0 for none. */
export function codeEnd(src: string): number {
  const hash = commentColumn(src);
  return (hash < 0 ? src : src.slice(0, hash)).trimEnd().length;
}
