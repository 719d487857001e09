// "Enter token": the way back online for a profile opened read-only (its token could not be read,
// or was refused). The token is checked by the API before it is kept, and never stays in the page.
import { ref } from 'vue'
import { backend, type ConsoleError } from '../backend'
import { toast } from './toast'
import { useAccess } from './useAccess'
import { useConnection } from './useConnection'

/** `landed` runs once the profile is open with its new token (the pages load again). */
export function useTokenEntry(landed: () => unknown) {
  const open = ref(false)
  const token = ref('')
  const busy = ref(false)
  const error = ref('')
  const { state, adopt } = useConnection()

  function show() {
    token.value = ''
    error.value = ''
    open.value = true
  }

  async function submit() {
    const profile = state.value
    if (!profile) return
    busy.value = true
    error.value = ''
    try {
      await backend.replaceToken(profile.profile_id, token.value)
      open.value = false
      token.value = ''
      useAccess().forget()
      adopt(await backend.connectionState())
      toast({ appearance: 'success', message: `${profile.profile_name} is online again.` })
      await landed()
    } catch (e) {
      const err = e as ConsoleError
      error.value = err.fields?.token ?? err.message
    } finally {
      busy.value = false
    }
  }

  return { open, token, busy, error, show, submit }
}
