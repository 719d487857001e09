// What the profile's token may do in each group (its roles, then what the API refused), shared
// by every page so a disabled button and its reason agree everywhere.
import { ref } from 'vue'
import { backend } from '../backend'
import type { AccessView } from '../bindings/AccessView'
import type { GroupAccess } from '../bindings/GroupAccess'
import { useConnection } from './useConnection'

const view = ref<AccessView | null>(null)

async function reload() {
  try {
    view.value = await backend.access()
  } catch {
    // Unknown access never disables anything: the API still has the last word.
    view.value = null
  }
}

function group(id: string): GroupAccess | undefined {
  return view.value?.groups[id]
}

/** Why `what` (a kind, `group`, `nodes` or `import`) cannot be done in a group now ('' if it can):
 * offline nothing can (every change needs the API), then the token's roles decide. */
function whyNot(id: string, what: string): string {
  const offline = useConnection().whyOffline.value
  if (offline) return offline
  const g = group(id)
  if (!g) return ''
  const allowed =
    what === 'group'
      ? g.can_edit_group
      : what === 'nodes'
        ? g.can_manage_nodes
        : what === 'import'
          ? g.can_import
          : g.writable_kinds.includes(what)
  if (allowed) return ''
  const refused = what === 'import' ? Object.values(g.refused)[0] : g.refused[what]
  return refused ?? g.reason ?? 'Your roles do not allow this.'
}

export function useAccess() {
  return {
    view,
    reload,
    whyNot,
    canCreateGroups: () => view.value?.can_create_groups ?? true,
    forget: () => (view.value = null),
    /** Reads access again after the API refused something (a 403 is remembered by the console). */
    afterError: (e: { code?: string }) => {
      if (e.code === 'forbidden') reload()
    },
  }
}
