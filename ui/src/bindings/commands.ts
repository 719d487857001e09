// Generated from src-tauri/src/commands.rs by `cargo test -p runtime-manager`. Do not edit.
import type { AccessView } from './AccessView'
import type { AvailablePlugins } from './AvailablePlugins'
import type { CertificateDetails } from './CertificateDetails'
import type { Comparison } from './Comparison'
import type { Connection } from './Connection'
import type { Dashboard } from './Dashboard'
import type { DataFolder } from './DataFolder'
import type { DataLocations } from './DataLocations'
import type { DemoStatus } from './DemoStatus'
import type { EntityKind } from './EntityKind'
import type { EntityList } from './EntityList'
import type { EntityListJson } from './EntityListJson'
import type { ExportFormat } from './ExportFormat'
import type { GroupInstances } from './GroupInstances'
import type { ImportPlan } from './ImportPlan'
import type { ImportResult } from './ImportResult'
import type { KongSchema } from './KongSchema'
import type { NewKonnectProfile } from './NewKonnectProfile'
import type { NewRuntimeGroup } from './NewRuntimeGroup'
import type { Overview } from './Overview'
import type { ProfileList } from './ProfileList'
import type { RuntimeGroupRow } from './RuntimeGroupRow'
import type { SchemaSyncReport } from './SchemaSyncReport'
import type { SearchHit } from './SearchHit'
import type { Settings } from './Settings'
import type { StartedInstance } from './StartedInstance'
import type { SyncReport } from './SyncReport'
import type { TimeFrame } from './TimeFrame'
import type { Versions } from './Versions'

/** How a command is sent to Rust: `ui/src/backend.ts` passes Tauri's invoke. */
export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>

/** Every command of the shell, typed as declared in Rust. */
export function commands(invoke: Invoke) {
  return {
    // The overview from the cache alone: what was last known, with no network.
    cachedOverview: () => invoke<Overview>('cached_overview'),
    // Syncs, then the overview; offline, the cached one marked with why.
    refreshOverview: () => invoke<Overview>('refresh_overview'),
    createGroup: (form: NewRuntimeGroup) => invoke<RuntimeGroupRow>('create_group', { form }),
    updateGroup: (id: string, form: NewRuntimeGroup) => invoke<RuntimeGroupRow>('update_group', { id, form }),
    deleteGroup: (id: string) => invoke<void>('delete_group', { id }),
    groupInstances: (id: string) => invoke<GroupInstances>('group_instances', { id }),
    // The living demo (the demo crate): what runs, on the Local profile.
    demoStatus: () => invoke<DemoStatus>('demo_status'),
    // Removes the demo: its traffic, runtimes and groups; it does not come back on later runs.
    removeDemo: () => invoke<DemoStatus>('remove_demo'),
    groupDashboard: (id: string, timeFrame: TimeFrame) => invoke<Dashboard>('group_dashboard', { id, timeFrame }),
    // The consumers in a consumer group.
    consumerGroupMembers: (id: string, consumerGroupId: string) => invoke<EntityList>('consumer_group_members', { id, consumerGroupId }),
    // The consumer groups a consumer is in.
    consumerGroupsOf: (id: string, consumerId: string) => invoke<EntityList>('consumer_groups_of', { id, consumerId }),
    addConsumerGroupMember: (id: string, consumerGroupId: string, consumerId: string) => invoke<void>('add_consumer_group_member', { id, consumerGroupId, consumerId }),
    removeConsumerGroupMember: (id: string, consumerGroupId: string, consumerId: string) => invoke<void>('remove_consumer_group_member', { id, consumerGroupId, consumerId }),
    // One runtime instance's own traffic.
    instanceDashboard: (id: string, nodeId: string, timeFrame: TimeFrame) => invoke<Dashboard>('instance_dashboard', { id, nodeId, timeFrame }),
    newRuntimeInstance: (id: string) => invoke<StartedInstance>('new_runtime_instance', { id }),
    // A group's entities of one kind from the cache (null when none were cached), shown at once:
    // the `first` of them in the API's order, or all.
    cachedGroupEntities: (id: string, kind: EntityKind, first: number | null) => invoke<EntityListJson | null>('cached_group_entities', { id, kind, first }),
    groupEntities: (id: string, kind: EntityKind) => invoke<EntityList>('group_entities', { id, kind }),
    createEntity: (id: string, kind: EntityKind, body: Record<string, unknown>) => invoke<Record<string, unknown>>('create_entity', { id, kind, body }),
    updateEntity: (id: string, kind: EntityKind, entityId: string, body: Record<string, unknown>) => invoke<Record<string, unknown>>('update_entity', { id, kind, entityId, body }),
    deleteEntity: (id: string, kind: EntityKind, entityId: string) => invoke<void>('delete_entity', { id, kind, entityId }),
    // A plugin's Kong schema from the group's API; offline, the cached copy marked with why.
    pluginSchema: (id: string, name: string) => invoke<KongSchema>('plugin_schema', { id, name }),
    // An entity kind's Kong schema (the local control plane's; Konnect publishes none).
    entitySchema: (id: string, kind: EntityKind) => invoke<KongSchema>('entity_schema', { id, kind }),
    availablePlugins: (id: string) => invoke<AvailablePlugins>('available_plugins', { id }),
    // Checks an entity against the group's schemas without saving it.
    validateEntity: (id: string, kind: EntityKind, body: Record<string, unknown>) => invoke<string>('validate_entity', { id, kind, body }),
    // Caches the group's schemas for offline forms: plugins in use, and every kind's.
    syncSchemas: (id: string) => invoke<SchemaSyncReport>('sync_schemas', { id }),
    // An entity as YAML, written by the serializer decK exports use.
    entityYaml: (entity: Record<string, unknown>) => invoke<string>('entity_yaml', { entity }),
    // What a certificate's PEM says: subject, issuer, SANs, validity (no network needed).
    certificateDetails: (pem: string) => invoke<CertificateDetails>('certificate_details', { pem }),
    search: (query: string) => invoke<Array<SearchHit>>('search', { query }),
    // What the token may do in each group: roles from the identity API, then the 403s met.
    access: () => invoke<AccessView>('access'),
    // One sync with progress events (`sync-progress`); a second while one runs is refused.
    syncNow: () => invoke<SyncReport>('sync_now'),
    cancelSync: () => invoke<boolean>('cancel_sync'),
    exportGroup: (id: string, format: ExportFormat) => invoke<string>('export_group', { id, format }),
    planImport: (id: string, file: string) => invoke<ImportPlan>('plan_import', { id, file }),
    // Applies a decK file with progress events (`import-progress`).
    applyImport: (id: string, file: string) => invoke<ImportResult>('apply_import', { id, file }),
    compareGroups: (left: string, right: string, timeFrame: TimeFrame) => invoke<Comparison>('compare_groups', { left, right, timeFrame }),
    // Saves text, or a dashboard chart (group, time frame, `traffic` or `error_rate`) as PNG, in
    // the downloads folder; the path it was saved to.
    saveExport: (name: string, text: string | null, chart: [string, TimeFrame, string] | null) => invoke<string>('save_export', { name, text, chart }),
    // The app's settings (defaults when none were saved).
    getSettings: () => invoke<Settings>('get_settings'),
    // Saves the settings; an out-of-range value is a field error and nothing is saved.
    saveSettings: (settings: Settings) => invoke<Settings>('save_settings', { settings }),
    // Where the app keeps its data (cache, settings, profiles, the embedded control plane) and
    // its log files.
    dataLocations: () => invoke<DataLocations>('data_locations'),
    // Opens the data or the log folder in the system's file manager.
    openDataFolder: (folder: DataFolder) => invoke<void>('open_data_folder', { folder }),
    // Empties the cache of every profile (groups, entities, instances, dashboards, schemas);
    // settings, profiles, keyring tokens and the embedded control plane's data are kept.
    resetLocalData: () => invoke<void>('reset_local_data'),
    // The app's, the embedded control plane's and the runtime's versions (Help › About).
    appVersions: () => invoke<Versions>('app_versions'),
    // Asks for a decK file with the system's file dialog; its text, or nothing if cancelled.
    importFileDialog: () => invoke<string | null>('import_file_dialog'),
    // Asks where to save `text` with the system's save dialog, suggesting `name`; the path it
    // was saved to, or nothing if cancelled.
    exportFileDialog: (name: string, text: string) => invoke<string | null>('export_file_dialog', { name, text }),
    listProfiles: () => invoke<ProfileList>('list_profiles'),
    addKonnectProfile: (form: NewKonnectProfile) => invoke<ProfileList>('add_konnect_profile', { form }),
    switchProfile: (id: string) => invoke<ProfileList>('switch_profile', { id }),
    removeProfile: (id: string) => invoke<ProfileList>('remove_profile', { id }),
    // Enters a profile's token again (checked, then kept in the keyring) and opens it online.
    replaceToken: (id: string, token: string) => invoke<ProfileList>('replace_token', { id, token }),
    // Whether the active profile's API answers, why not, and since when (also sent as
    // `connection` events when it changes).
    connectionState: () => invoke<Connection>('connection_state'),
  }
}

export type Commands = ReturnType<typeof commands>
