// An action the user started: pending while it runs, its outcome said in a toast (or its failure
// kept for a dialog to show), and a refusal by the API (403) makes access be read again.
import { computed, ref } from 'vue'
import { asConsoleError, type ConsoleError } from '../backend'
import { toast, type Toast } from './toast'
import { useAccess } from './useAccess'

export interface AsyncActionOptions<A extends unknown[], R> {
  /** What to say on success: a message (a success toast), a toast, or nothing. */
  success?: (result: R, ...args: A) => string | Toast | undefined
  /** What failed, put before the error's message: "The demo could not be removed". */
  failure?: string
  /** Keeps the failure in `message` (for a dialog or form to show) instead of a toast. */
  inline?: boolean
}

export function useAsyncAction<A extends unknown[], R>(
  action: (...args: A) => Promise<R>,
  options: AsyncActionOptions<A, R> = {},
) {
  const pending = ref(false)
  const error = ref<ConsoleError | null>(null)
  /** The failure as said to the user ('' while there is none). */
  const message = computed(() => {
    if (!error.value) return ''
    return options.failure ? `${options.failure}: ${error.value.message}` : error.value.message
  })

  /** Runs the action once; true when it succeeded. Never throws. */
  async function run(...args: A): Promise<boolean> {
    pending.value = true
    error.value = null
    try {
      const result = await action(...args)
      const said = options.success?.(result, ...args)
      if (said) toast(typeof said === 'string' ? { appearance: 'success', message: said } : said)
      return true
    } catch (e) {
      error.value = asConsoleError(e)
      useAccess().afterError(error.value)
      if (!options.inline) toast({ appearance: 'danger', message: message.value })
      return false
    } finally {
      pending.value = false
    }
  }

  return { pending, error, message, run, reset: () => (error.value = null) }
}
