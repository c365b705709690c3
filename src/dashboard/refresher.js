// Coalesces reloads: kick() asks for one run of `task` soon; kicks while it waits add nothing, kicks
// while it runs cause exactly one more run afterwards. A burst of events costs one or two requests.

export function refresher(task, delayMs, onError) {
  let timer = null;
  let running = false;
  let again = false;
  const kick = () => {
    if (running) {
      again = true;
      return;
    }
    if (timer === null) timer = setTimeout(run, delayMs);
  };
  async function run() {
    timer = null;
    running = true;
    try {
      await task();
    } catch (e) {
      onError(e);
    } finally {
      running = false;
      if (again) {
        again = false;
        kick();
      }
    }
  }
  return kick;
}
