// What the desktop shell tells the page: native menu items (`menu`), deep links (`navigate`) and
// settings changed from the menu. Items that belong to a page (Import, Export, Add profile) are
// passed on as `rm-menu` DOM events that page listens to. Notifications stay the desktop's: a
// toast would cover what the user is working on.
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import { useRouter } from 'vue-router'
import type { Settings } from '../bindings/Settings'
import { toast } from './toast'
import { adoptSettings } from './useSettings'

/** Menu items a page handles, and what to say when no page on screen does. */
const PAGE_ITEMS: Record<string, string> = {
  import: 'Open a runtime group to import a decK file into it.',
  export: 'Open a runtime group to export it.',
  'add-profile': '',
}

export function useShellEvents(actions: { openSearch: () => void }) {
  const router = useRouter()
  const stops: UnlistenFn[] = []

  /** Hands a menu item to the page on screen; true when one took it. */
  function toPage(item: string): boolean {
    const event = new CustomEvent('rm-menu', { detail: item, cancelable: true })
    return !window.dispatchEvent(event)
  }

  function onMenu(item: string) {
    if (item.startsWith('go:')) void router.push(item.slice(3))
    else if (item === 'settings') void router.push('/settings')
    else if (item === 'search') actions.openSearch()
    else if (item in PAGE_ITEMS && !toPage(item) && PAGE_ITEMS[item])
      toast({ appearance: 'info', message: PAGE_ITEMS[item] })
  }

  async function start() {
    stops.push(await listen<string>('menu', (e) => onMenu(e.payload)))
    stops.push(await listen<string>('navigate', (e) => void router.push(e.payload)))
    stops.push(await listen<Settings>('settings-changed', (e) => adoptSettings(e.payload)))
  }

  function stop() {
    stops.splice(0).forEach((s) => s())
  }

  return { start, stop, onMenu }
}
