// Deleting something after a confirmation: what the dialog asks about, the delete itself (its
// failure said in the dialog, which stays open), and closing the dialog once it is done.
import { ref, type Ref } from 'vue'
import { useAsyncAction, type AsyncActionOptions } from './useAsyncAction'

export function useConfirmDelete<T>(
  remove: (target: T) => Promise<unknown>,
  options: Omit<AsyncActionOptions<[T], unknown>, 'inline'> = {},
) {
  /** What the dialog asks about; null while it is closed. */
  const target = ref(null) as Ref<T | null>
  const action = useAsyncAction(remove, { ...options, inline: true })

  function ask(t: T) {
    action.reset()
    target.value = t
  }

  function cancel() {
    target.value = null
  }

  async function confirm() {
    const t = target.value
    if (t === null || action.pending.value) return
    if (await action.run(t)) target.value = null
  }

  return { target, ask, cancel, confirm, busy: action.pending, error: action.message }
}
