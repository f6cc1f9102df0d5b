import enCommon from './en/common.js';
import koCommon from './ko/common.js';
import enGeneral from './en/general.js';
import koGeneral from './ko/general.js';
import enOverview from './en/overview.js';
import koOverview from './ko/overview.js';
import enDevice from './en/device.js';
import koDevice from './ko/device.js';
import enAlarms from './en/alarms.js';
import koAlarms from './ko/alarms.js';
import enTasks from './en/tasks.js';
import koTasks from './ko/tasks.js';
import enRules from './en/rules.js';
import koRules from './ko/rules.js';
import enCommands from './en/commands.js';
import koCommands from './ko/commands.js';
import enChannels from './en/channels.js';
import koChannels from './ko/channels.js';
import enProfiles from './en/profiles.js';
import koProfiles from './ko/profiles.js';
import enAdmin from './en/admin.js';
import koAdmin from './ko/admin.js';
import enLogin from './en/login.js';
import koLogin from './ko/login.js';
import enOta from './en/ota.js';
import koOta from './ko/ota.js';
import enEquipment from './en/equipment.js';
import koEquipment from './ko/equipment.js';
import enMappings from './en/mappings.js';
import koMappings from './ko/mappings.js';
import enModels from './en/models.js';
import koModels from './ko/models.js';
import enRejected from './en/rejected.js';
import koRejected from './ko/rejected.js';
import enImports from './en/imports.js';
import koImports from './ko/imports.js';
import enRetention from './en/retention.js';
import koRetention from './ko/retention.js';
import enAudit from './en/audit.js';
import koAudit from './ko/audit.js';
import enAlarmStats from './en/alarmstats.js';
import koAlarmStats from './ko/alarmstats.js';
import enModelUpload from './en/modelupload.js';
import koModelUpload from './ko/modelupload.js';
import enDeviceAdmin from './en/device-admin.js';
import koDeviceAdmin from './ko/device-admin.js';

import type { Language } from './language.js';
export { languages, type Language } from './language.js';

/**
 * Every namespace, in both languages: one line each. A page's messages live in their own
 * namespace (en/<page>.ts, ko/<page>.ts) so that parallel work on pages does not collide.
 */
export const catalogues = {
  en: {
    common: enCommon,
    general: enGeneral,
    overview: enOverview,
    device: enDevice,
    alarms: enAlarms,
    tasks: enTasks,
    rules: enRules,
    commands: enCommands,
    channels: enChannels,
    profiles: enProfiles,
    admin: enAdmin,
    login: enLogin,
    ota: enOta,
    equipment: enEquipment,
    mappings: enMappings,
    models: enModels,
    rejected: enRejected,
    imports: enImports,
    retention: enRetention,
    audit: enAudit,
    alarmstats: enAlarmStats,
    modelupload: enModelUpload,
    deviceAdmin: enDeviceAdmin,
  },
  ko: {
    common: koCommon,
    general: koGeneral,
    overview: koOverview,
    device: koDevice,
    alarms: koAlarms,
    tasks: koTasks,
    rules: koRules,
    commands: koCommands,
    channels: koChannels,
    profiles: koProfiles,
    admin: koAdmin,
    login: koLogin,
    ota: koOta,
    equipment: koEquipment,
    mappings: koMappings,
    models: koModels,
    rejected: koRejected,
    imports: koImports,
    retention: koRetention,
    audit: koAudit,
    alarmstats: koAlarmStats,
    modelupload: koModelUpload,
    deviceAdmin: koDeviceAdmin,
  },
} satisfies Record<Language, Record<string, object>>;

export type Namespace = keyof (typeof catalogues)['en'];
