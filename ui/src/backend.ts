// The only place the UI calls Rust: typed wrappers over Tauri commands.
import { invoke } from '@tauri-apps/api/core'
import { listen } from '@tauri-apps/api/event'
import type { ConsoleError } from './bindings/ConsoleError'
import type { NewRuntimeGroup } from './bindings/NewRuntimeGroup'
import type { Overview } from './bindings/Overview'
import type { RuntimeGroupRow } from './bindings/RuntimeGroupRow'
import type { DemoStatus } from './bindings/DemoStatus'
import type { Dashboard } from './bindings/Dashboard'
import type { GroupInstances } from './bindings/GroupInstances'
import type { RuntimeInstanceRow } from './bindings/RuntimeInstanceRow'
import type { StartedInstance } from './bindings/StartedInstance'
import type { EntityList } from './bindings/EntityList'
import type { SearchHit } from './bindings/SearchHit'
import type { SyncProgress } from './bindings/SyncProgress'
import type { SyncReport } from './bindings/SyncReport'
import type { ImportPlan } from './bindings/ImportPlan'
import type { ImportResult } from './bindings/ImportResult'
import type { Comparison } from './bindings/Comparison'
import type { ProfileList } from './bindings/ProfileList'
import type { NewKonnectProfile } from './bindings/NewKonnectProfile'
import type { AccessView } from './bindings/AccessView'

export type {
  ConsoleError,
  SearchHit,
  SyncProgress,
  SyncReport,
  ImportPlan,
  ImportResult,
  Comparison,
  Dashboard,
  DemoStatus,
  GroupInstances,
  NewRuntimeGroup,
  Overview,
  RuntimeGroupRow,
  RuntimeInstanceRow,
}

/** Errors from Rust arrive as `ConsoleError`; anything else (a bridge failure) is wrapped into one. */
export function asConsoleError(e: unknown): ConsoleError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const err = e as ConsoleError
    return { code: err.code, message: err.message, fields: err.fields ?? {} }
  }
  return { code: 'local', message: String(e), fields: {} }
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args)
  } catch (e) {
    throw asConsoleError(e)
  }
}

export const backend = {
  cachedOverview: () => call<Overview>('cached_overview'),
  refreshOverview: () => call<Overview>('refresh_overview'),
  createGroup: (form: NewRuntimeGroup) => call<RuntimeGroupRow>('create_group', { form }),
  updateGroup: (id: string, form: NewRuntimeGroup) =>
    call<RuntimeGroupRow>('update_group', { id, form }),
  deleteGroup: (id: string) => call<void>('delete_group', { id }),
  groupInstances: (id: string) => call<GroupInstances>('group_instances', { id }),
  groupDashboard: (id: string, timeFrame: string) =>
    call<Dashboard>('group_dashboard', { id, timeFrame }),
  groupEntities: (id: string, kind: string) => call<EntityList>('group_entities', { id, kind }),
  newRuntimeInstance: (id: string) => call<StartedInstance>('new_runtime_instance', { id }),
  demoStatus: () => call<DemoStatus>('demo_status'),
  removeDemo: () => call<DemoStatus>('remove_demo'),
  createEntity: (id: string, kind: string, body: Record<string, unknown>) =>
    call<Record<string, unknown>>('create_entity', { id, kind, body }),
  updateEntity: (id: string, kind: string, entityId: string, body: Record<string, unknown>) =>
    call<Record<string, unknown>>('update_entity', { id, kind, entityId, body }),
  deleteEntity: (id: string, kind: string, entityId: string) =>
    call<void>('delete_entity', { id, kind, entityId }),
  search: (query: string) => call<SearchHit[]>('search', { query }),
  /** What the token may do in each group: roles from the identity API, then the 403s met. */
  access: () => call<AccessView>('access'),
  syncNow: () => call<SyncReport>('sync_now'),
  cancelSync: () => call<boolean>('cancel_sync'),
  /** Progress events of a running sync; resolves to the function that stops listening. */
  onSyncProgress: (cb: (p: SyncProgress) => void) =>
    listen<SyncProgress>('sync-progress', (e) => cb(e.payload)),
  exportGroup: (id: string, format: 'yaml' | 'json') =>
    call<string>('export_group', { id, format }),
  planImport: (id: string, file: string) => call<ImportPlan>('plan_import', { id, file }),
  applyImport: (id: string, file: string) => call<ImportResult>('apply_import', { id, file }),
  compareGroups: (left: string, right: string, timeFrame: string) =>
    call<Comparison>('compare_groups', { left, right, timeFrame }),
  /** Saves text, or a dashboard chart as PNG, in the downloads folder; the path it was saved to. */
  saveText: (name: string, text: string) => call<string>('save_export', { name, text }),
  listProfiles: () => call<ProfileList>('list_profiles'),
  addKonnectProfile: (form: NewKonnectProfile) =>
    call<ProfileList>('add_konnect_profile', { form }),
  switchProfile: (id: string) => call<ProfileList>('switch_profile', { id }),
  removeProfile: (id: string) => call<ProfileList>('remove_profile', { id }),
  saveChart: (name: string, group: string, timeFrame: string, chart: 'traffic' | 'error_rate') =>
    call<string>('save_export', { name, chart: [group, timeFrame, chart] }),
}

export type Backend = typeof backend
