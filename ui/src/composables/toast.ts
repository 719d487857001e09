// The app's one toaster: every page and component says an action's outcome through it.
import { ToastManager } from '@kong/kongponents'

export type ToastAppearance = 'success' | 'danger' | 'warning' | 'info'
export interface Toast {
  appearance: ToastAppearance
  message: string
}

let manager: ToastManager | null = null

/** Shows a toast; the manager (a container in the page) is made on first use. */
export function toast(t: Toast) {
  manager ??= new ToastManager()
  manager.open(t)
}
