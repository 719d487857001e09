// An async action: pending while it runs, its success and failure said in toasts (or its failure
// kept for a dialog), a 403 makes access be read again; and a delete after a confirmation.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useAsyncAction } from '../composables/useAsyncAction'
import { useConfirmDelete } from '../composables/useConfirmDelete'

const { backend } = vi.hoisted(() => ({ backend: { access: vi.fn() } }))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))
const { toast } = vi.hoisted(() => ({ toast: vi.fn() }))
vi.mock('../composables/toast', () => ({ toast }))

const refused = { code: 'forbidden', message: 'Not allowed.', fields: {} }

beforeEach(() => {
  toast.mockReset()
  backend.access.mockReset().mockResolvedValue({ groups: {}, can_create_groups: true })
})

describe('useAsyncAction', () => {
  it('is pending while it runs and says its success', async () => {
    let finish!: (v: string) => void
    const a = useAsyncAction(() => new Promise<string>((r) => (finish = r)), {
      success: (name) => `Saved ${name}`,
    })
    const done = a.run()
    expect(a.pending.value).toBe(true)
    finish('chart.png')
    expect(await done).toBe(true)
    expect(a.pending.value).toBe(false)
    expect(toast).toHaveBeenCalledWith({ appearance: 'success', message: 'Saved chart.png' })
  })

  it('passes its arguments and may say its outcome as any toast', async () => {
    const a = useAsyncAction(async (n: number) => n * 2, {
      success: (r, n) => ({ appearance: 'warning', message: `${n} gave ${r}` }),
    })
    await a.run(21)
    expect(toast).toHaveBeenCalledWith({ appearance: 'warning', message: '21 gave 42' })
  })

  it('says a failure with what failed, never throws, and reads access again on a 403', async () => {
    const a = useAsyncAction(() => Promise.reject(refused), { failure: 'Sync failed' })
    expect(await a.run()).toBe(false)
    expect(a.message.value).toBe('Sync failed: Not allowed.')
    expect(toast).toHaveBeenCalledWith({
      appearance: 'danger',
      message: 'Sync failed: Not allowed.',
    })
    expect(backend.access).toHaveBeenCalled()
  })

  it('wraps a bridge failure into a console error', async () => {
    const a = useAsyncAction(() => Promise.reject(new Error('bridge down')))
    await a.run()
    expect(a.error.value?.code).toBe('local')
    expect(a.message.value).toContain('bridge down')
    expect(backend.access).not.toHaveBeenCalled()
  })

  it('keeps an inline failure for the dialog and shows no toast', async () => {
    const a = useAsyncAction(() => Promise.reject(refused), { inline: true })
    await a.run()
    expect(a.message.value).toBe('Not allowed.')
    expect(toast).not.toHaveBeenCalled()
    a.reset()
    expect(a.message.value).toBe('')
  })
})

describe('useConfirmDelete', () => {
  it('asks about a target and closes once it is deleted', async () => {
    const remove = vi.fn().mockResolvedValue(undefined)
    const d = useConfirmDelete(remove, { success: (_, t: { name: string }) => `${t.name} gone.` })
    d.ask({ name: 'dev' })
    expect(d.target.value).toEqual({ name: 'dev' })
    await d.confirm()
    expect(remove).toHaveBeenCalledWith({ name: 'dev' })
    expect(d.target.value).toBeNull()
    expect(toast).toHaveBeenCalledWith({ appearance: 'success', message: 'dev gone.' })
  })

  it('stays open with the failure, which a new question clears', async () => {
    const d = useConfirmDelete(() => Promise.reject(refused), { failure: 'Could not delete' })
    d.ask('r1')
    await d.confirm()
    expect(d.target.value).toBe('r1')
    expect(d.error.value).toBe('Could not delete: Not allowed.')
    expect(toast).not.toHaveBeenCalled()
    d.cancel()
    expect(d.target.value).toBeNull()
    d.ask('r2')
    expect(d.error.value).toBe('')
  })

  it('does nothing when confirmed with nothing asked', async () => {
    const remove = vi.fn()
    await useConfirmDelete(remove).confirm()
    expect(remove).not.toHaveBeenCalled()
  })
})
