// Counts said in words: singular for one, thousands separated, parts of a whole.
import { describe, expect, it } from 'vitest'
import { capitalized, counted, countOf } from '../format'

describe('counted', () => {
  it('says one in the singular and the rest in the plural', () => {
    expect(counted(1, 'request')).toBe('1 request')
    expect(counted(1n, 'request')).toBe('1 request')
    expect(counted(0, 'request')).toBe('0 requests')
    expect(counted(2500, 'runtime instance')).toBe('2,500 runtime instances')
  })

  it('takes a plural that is not the noun and an s', () => {
    expect(counted(1, 'entity', 'entities')).toBe('1 entity')
    expect(counted(40000, 'entity', 'entities')).toBe('40,000 entities')
  })
})

describe('countOf', () => {
  it('separates the thousands of both counts', () => {
    expect(countOf(10000, 10000)).toBe('10,000 of 10,000')
    expect(countOf(3, 1200)).toBe('3 of 1,200')
  })
})

describe('capitalized', () => {
  it('starts a label in sentence case, as Konnect writes them', () => {
    expect(capitalized('gateway service')).toBe('Gateway service')
    expect(capitalized('key-auth credential')).toBe('Key-auth credential')
    expect(capitalized('')).toBe('')
  })
})
