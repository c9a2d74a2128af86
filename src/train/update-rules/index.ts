export { createAdam, type AdamSettings } from './adam.js';
export { createSgd, type SgdSettings } from './sgd.js';
export { createRmsprop, type RmspropSettings } from './rmsprop.js';
export type { UpdateRule, UpdateRuleState } from './update-rule.js';
