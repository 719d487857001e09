// A small YAML writer for showing entities (plain data: objects, lists, strings, numbers, booleans).

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'string')
    return /^[\w./@:-][\w ./@:-]*$/.test(v) && !/^(true|false|null|yes|no|~|[\d.]+)$/i.test(v)
      ? v
      : JSON.stringify(v)
  return String(v)
}

export function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (!value.length) return '[]'
    return value
      .map(
        (v) =>
          `${indent}- ${typeof v === 'object' && v !== null ? toYaml(v, indent + '  ').trimStart() : scalar(v)}`,
      )
      .join('\n')
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
    if (!entries.length) return '{}'
    return entries
      .map(([k, v]) => {
        if (
          typeof v === 'object' &&
          v !== null &&
          (Array.isArray(v) ? v.length : Object.keys(v).length)
        )
          return `${indent}${k}:\n${toYaml(v, indent + '  ')}`
        return `${indent}${k}: ${typeof v === 'object' && v !== null ? toYaml(v) : scalar(v)}`
      })
      .join('\n')
  }
  return scalar(value)
}
