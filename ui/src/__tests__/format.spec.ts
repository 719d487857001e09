// Counts said in words: singular for one, thousands separated.
import { describe, expect, it } from 'vitest'
import { counted } from '../format'

describe('counted', () => {
  it('says one in the singular and the rest in the plural', () => {
    expect(counted(1, 'request')).toBe('1 request')
    expect(counted(1n, 'request')).toBe('1 request')
    expect(counted(0, 'request')).toBe('0 requests')
    expect(counted(2500, 'runtime instance')).toBe('2,500 runtime instances')
  })
})
