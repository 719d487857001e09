// Client-side checks over the real plugin schemas: what a user types, through the form's values
// and body, against Kong's validators and entity checks, with errors on the nested fields.
import { describe, expect, it } from 'vitest'
import { formTree, initialValues, toBody, type FormValues } from '../schema/formModel'
import { checkBody, validatorError } from '../schema/schemaChecks'
import { CONSUMERS, pluginSchema, SERVICES } from './kongSchemas'

/** The errors of a new plugin `name` with the defaults and `typed` over them. */
function errorsOf(name: string, typed: FormValues = {}): Record<string, string> {
  const schema = pluginSchema(name)
  const nodes = formTree(schema.fields)
  const { body } = toBody(nodes, { ...initialValues(nodes, null), ...typed }, null)
  return checkBody(schema, body)
}

describe('field validators', () => {
  it("speak Kong's messages", () => {
    expect(validatorError({ type: 'integer', between: [0, 65535] }, 70000)).toBe(
      'value should be between 0 and 65535',
    )
    expect(validatorError({ type: 'number', gt: 0 }, 0)).toBe('value must be greater than 0')
    expect(validatorError({ type: 'string', one_of: ['a', 'b'] }, 'c')).toBe(
      'expected one of: a, b',
    )
    expect(validatorError({ type: 'string', starts_with: '/' }, 'v1')).toBe('should start with: /')
    expect(validatorError({ type: 'string', len_min: 3 }, 'ab')).toBe('length must be at least 3')
    expect(validatorError({ type: 'string' }, '')).toBe('length must be at least 1')
    expect(validatorError({ type: 'string', uuid: true }, 'nope')).toBe('expected a valid UUID')
    expect(
      validatorError(
        { type: 'string', match_none: [{ pattern: '//', err: 'must not have empty segments' }] },
        '/a//b',
      ),
    ).toBe('must not have empty segments')
    expect(validatorError({ type: 'set', contains: 'exp' }, ['nbf'])).toBe(
      'expected to contain: exp',
    )
    expect(
      validatorError(
        {
          type: 'set',
          mutually_exclusive_subsets: [
            ['http', 'https'],
            ['tcp', 'tls'],
          ],
        },
        ['http', 'tcp'],
      ),
    ).toContain('mutually exclusive')
    // A pattern that cannot be translated is the API's to judge, never a false alarm.
    expect(validatorError({ type: 'string', match: '%b()' }, 'anything')).toBeNull()
  })

  it('check entity fields: required, bounds and entity checks', () => {
    expect(checkBody(SERVICES, { port: 70000, path: 'v1' })).toEqual({
      host: 'required field missing',
      port: 'value should be between 0 and 65535',
      path: 'should start with: /',
    })
    expect(checkBody(CONSUMERS, {})).toEqual({
      custom_id: 'Set at least one of: Custom ID, Username.',
    })
    expect(checkBody(CONSUMERS, { username: 'ann' })).toEqual({})
  })
})

describe('real plugin schemas', () => {
  it('cors: element one_of in a multi-select', () => {
    expect(errorsOf('cors')).toEqual({})
    expect(errorsOf('cors', { 'config.methods': ['GET', 'FETCH'] })['config.methods']).toBe(
      'item 2 (FETCH): expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT',
    )
  })

  it('rate-limiting: at least one limit, gt 0, and redis fields required by policy', () => {
    expect(errorsOf('rate-limiting')).toEqual({
      'config.second': 'Set at least one of: Second, Minute, Hour, Day, Month, Year.',
    })
    expect(errorsOf('rate-limiting', { 'config.minute': '0' })).toEqual({
      'config.minute': 'value must be greater than 0',
    })
    expect(errorsOf('rate-limiting', { 'config.minute': '5', 'config.policy': 'redis' })).toEqual({
      'config.redis.host': 'Host is required when Policy is redis.',
    })
    expect(
      errorsOf('rate-limiting', {
        'config.minute': '5',
        'config.policy': 'redis',
        'config.redis.host': 'redis.internal',
      }),
    ).toEqual({})
    expect(
      errorsOf('rate-limiting', { 'config.minute': '5', 'config.limit_by': 'header' }),
    ).toEqual({ 'config.header_name': 'Header name is required when Limit by is header.' })
    expect(
      errorsOf('rate-limiting', { 'config.minute': '5', 'config.path': 'v1//x' })['config.path'],
    ).toBe('should start with: /')
  })

  it('jwt: a conditional with contains, and between', () => {
    expect(errorsOf('jwt')).toEqual({})
    // As in Kong, an unset claims_to_verify passes: only a set one must contain exp.
    expect(errorsOf('jwt', { 'config.maximum_expiration': '60' })).toEqual({})
    expect(
      errorsOf('jwt', { 'config.maximum_expiration': '60', 'config.claims_to_verify': ['nbf'] }),
    ).toEqual({
      'config.claims_to_verify': 'expected to contain: exp when Maximum expiration is 60',
    })
    expect(
      errorsOf('jwt', { 'config.maximum_expiration': '60', 'config.claims_to_verify': ['exp'] }),
    ).toEqual({})
    expect(errorsOf('jwt', { 'config.maximum_expiration': '-1' })).toEqual({
      'config.maximum_expiration': 'value should be between 0 and 31536000',
    })
  })

  it('ip-restriction: at least one of allow and deny', () => {
    expect(errorsOf('ip-restriction')).toEqual({
      'config.allow': 'Set at least one of: Allow, Deny.',
    })
    expect(errorsOf('ip-restriction', { 'config.deny': ['10.0.0.1'] })).toEqual({})
  })

  it('acme: a conditional with its own message', () => {
    const letsEncrypt = 'https://acme-v02.api.letsencrypt.org'
    // The default API URI ends in /directory: not one the check names, so no terms to accept.
    expect(errorsOf('acme', { 'config.account_email': 'ops@example.com' })).toEqual({})
    const errs = errorsOf('acme', {
      'config.account_email': 'ops@example.com',
      'config.api_uri': letsEncrypt,
    })
    expect(errs['config.tos_accepted']).toBe(
      'terms of service must be accepted, see https://letsencrypt.org/repository/',
    )
    expect(
      errorsOf('acme', {
        'config.account_email': 'ops@example.com',
        'config.api_uri': letsEncrypt,
        'config.tos_accepted': true,
      }),
    ).toEqual({})
  })

  it('aws-lambda: mutually required key and secret', () => {
    const base = { 'config.function_name': 'fn', 'config.aws_region': 'us-east-1' }
    expect(errorsOf('aws-lambda', base)).toEqual({})
    expect(errorsOf('aws-lambda', { ...base, 'config.aws_key': 'AKIA' })).toEqual({
      'config.aws_secret': 'Set all or none of: AWS key, AWS secret.',
    })
  })

  it('request-transformer: Lua patterns on list items', () => {
    expect(errorsOf('request-transformer')).toEqual({})
    expect(errorsOf('request-transformer', { 'config.http_method': 'get' })).toEqual({
      'config.http_method': 'invalid value: get',
    })
    expect(
      errorsOf('request-transformer', { 'config.rename.headers': ['x-old:x-new', 'broken'] }),
    ).toEqual({ 'config.rename.headers': 'item 2 (broken): invalid value: broken' })
  })

  it('response-ratelimiting: redis by policy in a map of limits', () => {
    const limits = { 'config.limits': '{"video": {"minute": 10}}' }
    expect(errorsOf('response-ratelimiting', limits)).toEqual({})
    expect(errorsOf('response-ratelimiting', { ...limits, 'config.policy': 'redis' })).toEqual({
      'config.redis.host': 'Host is required when Policy is redis.',
    })
  })

  it('opentelemetry: the config record’s own entity check, on its nested path', () => {
    expect(errorsOf('opentelemetry')).toEqual({
      'config.traces_endpoint': 'Set at least one of: Traces endpoint, Logs endpoint.',
    })
    expect(
      errorsOf('opentelemetry', { 'config.logs_endpoint': 'http://otel:4318/v1/logs' }),
    ).toEqual({})
  })

  it('datadog: a conditional inside each record of a list', () => {
    const metrics = [
      { 'config.metrics[0].name': 'request_count', 'config.metrics[0].stat_type': 'counter' },
    ]
    expect(errorsOf('datadog', { 'config.metrics': metrics })['config.metrics']).toBe(
      'item 1 ({"name":"request_count","stat_type":"counter"}): sample_rate: Sample rate is required when Stat type is counter.',
    )
  })

  it('key-auth, basic-auth, session, proxy-cache: defaults pass, a required enum without one not', () => {
    for (const name of ['key-auth', 'basic-auth', 'session', 'correlation-id', 'prometheus'])
      expect(errorsOf(name), name).toEqual({})
    expect(errorsOf('proxy-cache')).toEqual({ 'config.strategy': 'required field missing' })
    expect(errorsOf('proxy-cache', { 'config.strategy': 'memory' })).toEqual({})
  })

  it('a vault reference stands in for a referenceable secret', () => {
    expect(
      errorsOf('rate-limiting', {
        'config.minute': '5',
        'config.policy': 'redis',
        'config.redis.host': 'redis',
        'config.redis.password': '{vault://env/redis-password}',
      }),
    ).toEqual({})
  })
})
