// Script options: reading CTDB's shell-syntax option files and the kinds authors declare.
export { OptionsFileError, parseShellAssignments, type Assignment } from './shell-vars.js';
export { loadOptions, optionFiles, readAssignments, type OptionSources } from './load.js';
export {
  integer,
  optionalString,
  parseThresholds,
  string,
  thresholds,
  yesNo,
  type Thresholds,
} from './kinds.js';
