// Loaded into the bot process with --import by startup-errors.test.ts: every write check under the
// directory DENY_WRITES_UNDER names fails with EACCES, as it does for a user who may not write there.
// Root passes chmod, so this is how the refusal reaches main.ts whoever runs the tests.
import fs from "node:fs";

const denied = process.env.DENY_WRITES_UNDER;
if (denied) {
  const accessSync = fs.accessSync;
  fs.accessSync = (target, mode) => {
    if (String(target).startsWith(denied) && ((mode ?? fs.constants.F_OK) & fs.constants.W_OK) !== 0) {
      const error = new Error(`EACCES: permission denied, access '${String(target)}'`);
      throw Object.assign(error, { code: "EACCES", errno: -13, syscall: "access", path: String(target) });
    }
    return accessSync(target, mode);
  };
}
