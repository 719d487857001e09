// When the page has painted what the current tick rendered, and performance marks set then; the
// app benchmark reads the marks through WebDriver to time launch-to-overview and a group's list.

/** Resolves once the next frame is painted (a task queued from a frame runs after its paint). */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame === 'undefined') setTimeout(resolve, 0)
    else requestAnimationFrame(() => setTimeout(resolve, 0))
  })
}

/** Marks `name` once the frame showing what was just rendered is painted, and `name-rendered`
 * now (the DOM updated): the benchmark's breakdown of render against paint. */
export function markWhenPainted(name: string): void {
  performance.mark(`${name}-rendered`)
  void afterPaint().then(() => performance.mark(name))
}
