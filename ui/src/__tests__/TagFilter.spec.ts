// The tag filter: the tags the rows carry, and a chosen tag kept while no row carries it.
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { KSelect } from '@kong/kongponents'
import TagFilter from '../components/TagFilter.vue'

type Item = { value: string; selected: boolean }

/** The items the filter gives Kongponents' select, as [tag, selected]. */
function itemsOf(modelValue: string | null, tags: string[]) {
  const select = mount(TagFilter, { props: { modelValue, tags } }).findComponent(KSelect)
  return (select.vm.$props as { items: Item[] }).items.map((i) => [i.value, i.selected])
}

describe('TagFilter', () => {
  it('offers the tags the rows carry, the chosen one selected', () => {
    expect(itemsOf('blue', ['blue', 'green'])).toEqual([
      ['blue', true],
      ['green', false],
    ])
  })

  it('keeps a chosen tag no row carries any more, so it can be cleared', () => {
    expect(itemsOf('gone', ['green'])).toEqual([
      ['gone', true],
      ['green', false],
    ])
  })
})
