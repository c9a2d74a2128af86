export { crc32c, maskedCrc32c } from './crc32c.js';
export {
  encodeTfEvents,
  tfEventsFileName,
  TFEVENTS_FILE_VERSION,
  TFEVENTS_TEXT_TAGS,
  type TfEventsRun,
} from './tfevents.js';
