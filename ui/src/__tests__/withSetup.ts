// Runs a composable inside a mounted component, so its lifecycle hooks (onMounted, onUnmounted)
// run as on a page; unmount the wrapper to stop its timers.
import { defineComponent, h } from 'vue'
import { mount } from '@vue/test-utils'

export function withSetup<T>(composable: () => T): { result: T; unmount: () => void } {
  let result!: T
  const wrapper = mount(
    defineComponent({
      setup() {
        result = composable()
        return () => h('div')
      },
    }),
  )
  return { result, unmount: () => wrapper.unmount() }
}
