// Deleting a runtime group: the confirmation, and exporting its configuration first (a decK file
// in Downloads) so it can be restored later.
import { computed, ref } from 'vue'
import { backend, type RuntimeGroupRow } from '../backend'
import { useAsyncAction } from './useAsyncAction'
import { useConfirmDelete } from './useConfirmDelete'

export function useGroupDelete(afterDelete: () => unknown) {
  const deletion = useConfirmDelete(
    async (row: RuntimeGroupRow) => {
      await backend.deleteGroup(row.id)
      await afterDelete()
    },
    {
      failure: 'The runtime group could not be deleted',
      success: (_, row) => `Runtime group "${row.name}" was deleted.`,
    },
  )

  const exportedTo = ref('')
  const exportFirst = useAsyncAction(
    async (row: RuntimeGroupRow) => {
      const text = await backend.exportGroup(row.id, 'yaml')
      exportedTo.value = await backend.saveText(`${row.name}.yaml`, text)
    },
    { failure: 'The configuration could not be exported', inline: true },
  )

  function ask(row: RuntimeGroupRow) {
    exportedTo.value = ''
    exportFirst.reset()
    deletion.ask(row)
  }

  async function exportBeforeDelete() {
    if (deletion.target.value) await exportFirst.run(deletion.target.value)
  }

  return {
    ...deletion,
    ask,
    /** The delete's failure, or the export's. */
    error: computed(() => deletion.error.value || exportFirst.message.value),
    exportBeforeDelete,
    exporting: exportFirst.pending,
    exportedTo,
  }
}
