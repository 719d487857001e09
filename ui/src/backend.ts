// The only place the UI calls Rust: the typed wrappers generated from the shell's command
// declarations (src-tauri/src/commands.rs → bindings/commands.ts), over Tauri's invoke with
// errors as `ConsoleError`, plus the few calls shaped for the UI.
import { invoke } from '@tauri-apps/api/core'
import { listen } from '@tauri-apps/api/event'
import { commands } from './bindings/commands'
import type { ConsoleError } from './bindings/ConsoleError'
import type { NewRuntimeGroup } from './bindings/NewRuntimeGroup'
import type { Overview } from './bindings/Overview'
import type { RuntimeGroupRow } from './bindings/RuntimeGroupRow'
import type { DemoStatus } from './bindings/DemoStatus'
import type { Dashboard } from './bindings/Dashboard'
import type { GroupInstances } from './bindings/GroupInstances'
import type { RuntimeInstanceRow } from './bindings/RuntimeInstanceRow'
import type { SearchHit } from './bindings/SearchHit'
import type { SyncProgress } from './bindings/SyncProgress'
import type { SyncReport } from './bindings/SyncReport'
import type { ImportPlan } from './bindings/ImportPlan'
import type { ImportProgress } from './bindings/ImportProgress'
import type { ImportResult } from './bindings/ImportResult'
import type { Comparison } from './bindings/Comparison'
import type { TimeFrame } from './bindings/TimeFrame'

export type {
  ConsoleError,
  SearchHit,
  SyncProgress,
  SyncReport,
  ImportPlan,
  ImportProgress,
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

/** Errors from Rust arrive as `ConsoleError`; anything else (a bridge failure) becomes one. */
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

const rust = commands(call)

/** The cached overview index.html asked for as the launch began, taken by the first caller;
 * later calls ask anew. (Asked for before this code loaded, it arrives while the code runs.) The
 * early ask names the command by hand, outside the generated wrappers: if it failed, the
 * wrapper asks again, so a renamed command costs the head start, not the overview. */
type LaunchPage = { __rmLaunchOverview?: Promise<Overview>; __rmLaunchOverviewIn?: Overview }
function launchOverview(): Promise<Overview> | undefined {
  const page = window as LaunchPage
  const asked = page.__rmLaunchOverview
  page.__rmLaunchOverview = page.__rmLaunchOverviewIn = undefined
  return asked?.catch(() => rust.cachedOverview())
}

/** The launch's cached overview if it has already arrived, taken (later calls and
 * `cachedOverview` ask anew): the overview's first render can then hold its rows, rather than
 * render without them and again a moment later. */
function launchOverviewIn(): Overview | undefined {
  const page = window as LaunchPage
  const arrived = page.__rmLaunchOverviewIn
  if (arrived) page.__rmLaunchOverview = page.__rmLaunchOverviewIn = undefined
  return arrived
}

export const backend = {
  ...rust,
  /** The overview from the cache alone (at launch, the answer index.html asked for). */
  cachedOverview: () => launchOverview() ?? rust.cachedOverview(),
  launchOverviewIn,
  /** Progress events of a running sync; resolves to the function that stops listening. */
  onSyncProgress: (cb: (p: SyncProgress) => void) =>
    listen<SyncProgress>('sync-progress', (e) => cb(e.payload)),
  /** Progress events of an import being applied; resolves to the function that stops listening. */
  onImportProgress: (cb: (p: ImportProgress) => void) =>
    listen<ImportProgress>('import-progress', (e) => cb(e.payload)),
  /** Saves text in the downloads folder; the path it was saved to. */
  saveText: (name: string, text: string) => rust.saveExport(name, text, null),
  /** Saves a dashboard chart as PNG in the downloads folder; the path it was saved to. */
  saveChart: (name: string, group: string, timeFrame: TimeFrame, chart: 'traffic' | 'error_rate') =>
    rust.saveExport(name, null, [group, timeFrame, chart]),
}

export type Backend = typeof backend
