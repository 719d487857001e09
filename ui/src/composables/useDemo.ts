// The living demo on the overview: its groups and figures (read again every 15 s), and removing
// it after a confirmation.
import { onMounted, ref } from 'vue'
import { backend, type DemoStatus } from '../backend'
import { useConfirmDelete } from './useConfirmDelete'
import { usePolling } from './usePolling'

export function useDemo(afterRemoval: () => unknown = () => {}) {
  const demo = ref<DemoStatus | null>(null)

  async function load() {
    demo.value = await backend.demoStatus().catch(() => null)
  }

  // Asks about the demo as it was shown; removes all of it.
  const removal = useConfirmDelete<DemoStatus>(
    async () => {
      demo.value = await backend.removeDemo()
      await afterRemoval()
    },
    { failure: 'The demo could not be removed', success: () => 'The demo was removed.' },
  )

  onMounted(load)
  usePolling(load, 15000)
  return { demo, load, removal }
}
