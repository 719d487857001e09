// The shared list table's row menu: its button opens and closes it, also when a refresh gave the
// row a new object in between.
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import EntityTable from '../components/EntityTable.vue'

const rows = () => [
  { id: 'id-default', name: 'default' },
  { id: 'id-dev', name: 'dev' },
]

describe('EntityTable', () => {
  it("closes a row's menu from its button after the rows were refreshed", async () => {
    const table = mount(EntityTable, {
      props: {
        rows: rows(),
        offset: 0,
        total: 2,
        columns: [{ key: 'name', label: 'Name' }],
        actions: [{ id: 'copy', label: 'Copy ID', testid: 'copy' }],
        label: (r: Record<string, unknown>) => String(r.name),
      },
      attachTo: document.body,
    })
    const kebab = () => table.find('[data-testid=entity-default] button.kebab')
    await kebab().trigger('click')
    expect(document.querySelector('[role=menu]')).not.toBeNull()
    // A second click on the same object closes it (that worked before) …
    await kebab().trigger('click')
    expect(document.querySelector('[role=menu]')).toBeNull()
    // … and so does one after a refresh replaced every row object.
    await kebab().trigger('click')
    await table.setProps({ rows: rows() })
    await kebab().trigger('click')
    expect(document.querySelector('[role=menu]')).toBeNull()
    table.unmount()
  })
})
