/** Examples' quick profiles, part 3 of 3 (test/e2e/examples-suite.ts says what each example must do). */
import { describeExamples } from "./examples-suite.js";

describeExamples(3, 3);
