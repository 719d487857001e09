// The profiles: Local or a Konnect organization; adding one (its form's errors on their fields),
// switching, and removing one after a confirmation. Any change lands on the other organization.
import { computed, onMounted, reactive, ref } from 'vue'
import { backend, type ConsoleError } from '../backend'
import type { Profile } from '../bindings/Profile'
import type { ProfileList } from '../bindings/ProfileList'
import { toast } from './toast'
import { useAccess } from './useAccess'
import { useConfirmDelete } from './useConfirmDelete'

const blankForm = () => ({ name: '', region: 'us', token: '', base_url: '' })

/** `landed` runs after every switch, add or remove: the pages start again from there. */
export function useProfiles(landed: () => unknown) {
  const list = ref<ProfileList | null>(null)
  const active = computed(() => list.value?.profiles.find((p) => p.id === list.value?.active))

  onMounted(async () => {
    list.value = await backend.listProfiles().catch(() => null)
  })

  async function land(next: ProfileList, message: string) {
    list.value = next
    // Another profile, another token: nothing of the last one's access may linger.
    useAccess().forget()
    toast({ appearance: 'success', message })
    await landed()
  }

  /** Switches to a profile; false when it failed (said in a toast). */
  async function switchTo(id: string): Promise<boolean> {
    try {
      const next = await backend.switchProfile(id)
      await land(next, `Switched to ${next.profiles.find((p) => p.id === id)?.name}.`)
      return true
    } catch (e) {
      toast({ appearance: 'danger', message: (e as ConsoleError).message })
      return false
    }
  }

  const form = reactive(blankForm())
  const adding = ref(false)
  const busy = ref(false)
  const formError = ref('')
  const errors = ref<Record<string, string>>({})

  async function add() {
    busy.value = true
    errors.value = {}
    formError.value = ''
    try {
      const next = await backend.addKonnectProfile({
        ...form,
        base_url: form.base_url || undefined,
      })
      adding.value = false
      const name = form.name
      // The next "Add" starts from a blank form; the token is never kept in the page.
      Object.assign(form, blankForm())
      await land(next, `Added ${name} and switched to it.`)
    } catch (e) {
      const err = e as ConsoleError
      const fields = Object.entries(err.fields ?? {})
      errors.value = Object.fromEntries(fields.map(([k, v]) => [k, String(v)]))
      formError.value = fields.length ? '' : err.message
    } finally {
      busy.value = false
    }
  }

  const removal = useConfirmDelete(async (p: Profile) => {
    const next = await backend.removeProfile(p.id)
    await land(next, 'Profile removed.')
  })

  return { list, active, switchTo, form, adding, busy, formError, errors, add, removal }
}
