// The shared list table: its row menu's button opens and closes it, also when a refresh gave the
// row a new object in between; a table starts at the width the last one in its place was laid out at.
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import EntityTable from '../components/EntityTable.vue'
import { laidOutWidth } from '../composables/useVirtualRows'

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

  it('sizes its columns for the width the last table in its place was laid out at', () => {
    const props = {
      rows: rows(),
      offset: 0,
      total: 2,
      columns: [
        { key: 'name', label: 'Name' },
        { key: 'host', label: 'Host' },
      ],
      actions: [],
      label: (r: Record<string, unknown>) => String(r.name),
    }
    const widths = (t: ReturnType<typeof mount>) =>
      t.findAll('table.head col').map((c) => c.attributes('style'))
    // Never laid out: shares of the width, whatever it will be.
    const unknown = mount(EntityTable, { props: { ...props, widthKey: 'probe-table' } })
    expect(widths(unknown)[0]).toMatch(/%/)
    unknown.unmount()
    // Laid out at 1,000 px before: pixels for it from the first render.
    laidOutWidth.set('probe-table', 1000)
    const known = mount(EntityTable, { props: { ...props, widthKey: 'probe-table' } })
    expect(
      widths(known)
        .slice(0, 2)
        .every((w) => /^width: \d+px;$/.test(w ?? '')),
    ).toBe(true)
    known.unmount()
    // Another list keeps its own.
    const other = mount(EntityTable, { props: { ...props, widthKey: 'another-table' } })
    expect(widths(other)[0]).toMatch(/%/)
    other.unmount()
  })
})
