/**
 * A run-pool worker thread: imports the generated program module, initialises the backend the main thread
 * chose, then trains the runs it is sent one at a time with `executeRun` — the same code as the serial
 * path — forwarding every measurement to the main thread (pool-protocol.ts), which records them in run order.
 */
import { parentPort, workerData } from "node:worker_threads";
import { selectBackend } from "../runtime/backend.js";
import { expandPlan } from "../contract/plan.js";
import type { ExperimentProgram } from "../contract/program.js";
import type { FromWorker, ToWorker, WorkerSetup } from "./pool-protocol.js";
import { ForwardingSinks, forwardingProgress } from "./pool-protocol.js";
import { describeFailure, executeRun } from "./run.js";
import { dropPendingCheckpoint, requireCheckpoint, writePendingCheckpoint, type RunCheckpoint } from "./checkpoint.js";

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (message: FromWorker): void => port.postMessage(message);

/** The experiment named in the setup, from the module's `experiments` export. */
async function loadProgram(): Promise<ExperimentProgram> {
  const module = (await import(setup.moduleUrl)) as { experiments?: readonly ExperimentProgram[] };
  const program = module.experiments?.find((p) => p.name === setup.experiment);
  if (!program) throw new Error(`module ${setup.moduleUrl} exports no experiment "${setup.experiment}"`);
  return program;
}

async function start(): Promise<void> {
  let program: ExperimentProgram;
  try {
    program = await loadProgram();
    await selectBackend(setup.backend);
  } catch (error) {
    post({ type: "init-failed", message: describeFailure(error) });
    return;
  }
  const plan = expandPlan(program.profiles[setup.profile]!);
  const progress = forwardingProgress(post);
  // Aborted by the main thread's `stop` (a signal): the run in training ends at its next step boundary.
  const stop = new AbortController();
  // One run at a time: the next message is read only after this run's `done` is posted.
  let queue = Promise.resolve();
  port.on("message", (message: ToWorker) => {
    if (message.type === "stop") {
      stop.abort(message.signal);
      return;
    }
    queue = queue.then(async () => {
      const sinks = new ForwardingSinks(message.index, post);
      const run = plan.runs[message.index]!;
      const outcome = await executeRun(run, {
        program,
        seeds: plan.seeds,
        dataRoot: setup.dataRoot,
        recorder: sinks,
        results: sinks,
        stop: stop.signal,
        ...(setup.progress ? { progress } : {}),
        ...(setup.checkpoints ? { checkpoints: setup.checkpoints, saveCheckpoint: pendingCheckpoints(setup.checkpoints.dir, sinks) } : {}),
        ...(setup.handoffDir !== undefined ? { handoff: { dir: setup.handoffDir, runs: plan.runs } } : {}),
        ...(message.resume ? resumeFrom(run.id) : {}),
      });
      sinks.flush();
      post({ type: "done", index: message.index, outcome });
    });
  });
  post({ type: "ready" });
}

/** The run's checkpoint, read here (typed arrays need not cross threads); a bad one fails the run like any error. */
function resumeFrom(run: string): { resumeFrom: RunCheckpoint } {
  const { dir, planHash } = setup.checkpoints!;
  return { resumeFrom: requireCheckpoint(dir, run, planHash) };
}

/**
 * A run's checkpoints on this worker: written pending, and the main thread told, which makes each the run's
 * checkpoint once it has recorded the rows before it (runner/checkpoint.ts); the previous pending one is then
 * superseded (promoted already, or to be skipped).
 */
function pendingCheckpoints(dir: string, sinks: ForwardingSinks): (checkpoint: RunCheckpoint) => void {
  let previous: number | undefined;
  return (checkpoint) => {
    const { step } = checkpoint.training;
    writePendingCheckpoint(dir, checkpoint);
    sinks.checkpointed(checkpoint.run, step);
    if (previous !== undefined && previous !== step) dropPendingCheckpoint(dir, checkpoint.run, previous);
    previous = step;
  };
}

void start();
