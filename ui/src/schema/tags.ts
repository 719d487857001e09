// Typed text as tags: one rule for splitting and de-duplicating, shared by the tag input.

/** The tags after adding what was typed or pasted: split on commas and lines, trimmed, and each
 * value once (Kong keeps sets that way; for arrays a repeat is nearly always a slip). */
export function addTags(tags: string[], typed: string): string[] {
  const out = [...tags]
  for (const t of typed.split(/[,\n]/).map((s) => s.trim())) if (t && !out.includes(t)) out.push(t)
  return out
}
