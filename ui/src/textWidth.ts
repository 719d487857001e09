// The width of a table cell's text in the window's text face, measured on a canvas, not laid out.

/** Made once for the whole app, from the root's face: reading a computed font forces a style
 * pass, so every later table measures its names in its first render, before any layout. */
let measurer: CanvasRenderingContext2D | null | undefined

/** The px `text` takes at `px` size in the window's text face (0 where there is no canvas). */
export function textWidth(text: string, px = 14): number {
  if (measurer === undefined) {
    measurer = document.createElement('canvas').getContext('2d')
    if (measurer) measurer.font = `${px}px ${getComputedStyle(document.documentElement).fontFamily}`
  }
  return measurer?.measureText(text).width ?? 0
}
