import { type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from './fixtures';

// Helpers for the /learn pages: the walkthrough's steps as its overview
// lists them, the source files its code panels quote, and the quiz form.

/** The repository's root, which every code panel's data-file is relative to. */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** squash collapses every run of whitespace (tabs and newlines too) to one space. */
export const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

const sources = new Map<string, string>();

/** sourceFile reads file (slash-separated, from the repository root) from disk, whitespace squashed. */
export function sourceFile(file: string): string {
  let text = sources.get(file);
  if (text === undefined) {
    expect(path.isAbsolute(file) || file.split('/').includes('..'), `${file} stays inside the repository`).toBe(false);
    text = squash(readFileSync(path.join(repoRoot, file), 'utf8'));
    sources.set(file, text);
  }
  return text;
}

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface StepLink {
  number: number;
  title: string;
}

/** learnSteps reads the steps from the overview's links ("Step 1: Data: …"), on the page open at /learn. */
export async function learnSteps(page: Page): Promise<StepLink[]> {
  const names = await page.getByRole('main').getByRole('link', { name: /^Step \d+: / }).allInnerTexts();
  return names.map((n) => {
    const m = /^Step (\d+): (.+)$/.exec(squash(n));
    expect(m, `a step link: ${n}`).not.toBeNull();
    return { number: Number(m![1]), title: m![2] };
  });
}

/** The pager under each step: the previous and next links. */
export const pager = (page: Page) => page.getByRole('navigation', { name: 'Previous and next step' });

/** What the quiz asks and which answers are right, as a reader learns it from the page. */
export interface QuizAnswers {
  /** Question ids (the form fields), in page order. */
  ids: string[];
  /** The label of the right choice of each question, as the graded page quotes it. */
  right: Map<string, string>;
  /** Every choice's label, per question, in page order. */
  choices: Map<string, string[]>;
}

/** QuizForm drives /learn/quiz, a plain form the server grades. */
export class QuizForm {
  constructor(readonly page: Page) {}

  async goto() {
    const response = await this.page.goto('/learn/quiz');
    expect(response?.status()).toBe(200);
    await expect(this.page.getByRole('heading', { level: 1 })).toHaveText('Quiz');
    // A blank form has no score yet, so waiting for one after submit waits for the graded page.
    await expect(this.page.getByTestId('quiz-score')).toHaveCount(0);
  }

  /** questions are the question fieldsets, in page order. */
  questions(): Locator {
    return this.page.getByTestId(/^question-/);
  }

  question(id: string): Locator {
    return this.page.getByTestId(`question-${id}`);
  }

  feedback(id: string): Locator {
    return this.page.getByTestId(`feedback-${id}`);
  }

  async ids(): Promise<string[]> {
    const testids = await this.questions().evaluateAll((els) => els.map((el) => el.getAttribute('data-testid')!));
    return testids.map((t) => t.slice('question-'.length));
  }

  /** choiceLabels are the labels of a question's radios, in page order. */
  async choiceLabels(id: string): Promise<string[]> {
    const labels = await this.question(id)
      .getByRole('radio')
      .evaluateAll((els) => els.map((el) => (el as HTMLInputElement).labels?.[0]?.textContent ?? ''));
    return labels.map(squash);
  }

  /** choose checks the radio labelled label in question id. */
  async choose(id: string, label: string) {
    await this.question(id).getByRole('radio', { name: label, exact: true }).check();
  }

  /** submit sends the form (a plain POST) and waits for the graded page. */
  async submit() {
    const response = this.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/learn/quiz');
    await this.page.getByRole('button', { name: 'Check my answers' }).click();
    expect((await response).status(), 'POST /learn/quiz').toBe(200);
    await expect(this.page.getByTestId('quiz-score')).toBeVisible();
  }

  /** expectScore checks the score line: correct of total right, wrong wrong, unanswered unanswered. */
  async expectScore(total: number, correct: number, wrong: number, unanswered: number) {
    await expect(this.page.getByRole('status')).toContainText(`${correct} of ${total} right`);
    await expect(this.page.getByTestId('quiz-score')).toHaveText(`${correct} of ${total}`);
    await expect(this.page.getByTestId('quiz-wrong')).toHaveText(String(wrong));
    await expect(this.page.getByTestId('quiz-unanswered')).toHaveText(String(unanswered));
  }

  /**
   * answers learns the right answers the way a reader can: it sends the
   * form blank, and the graded page quotes the right choice under every
   * question. It leaves the page on a blank form again.
   */
  async answers(): Promise<QuizAnswers> {
    await this.goto();
    const ids = await this.ids();
    const choices = new Map<string, string[]>();
    for (const id of ids) choices.set(id, await this.choiceLabels(id));
    await this.submit();
    await this.expectScore(ids.length, 0, 0, ids.length);
    const right = new Map<string, string>();
    for (const id of ids) {
      const feedback = this.feedback(id);
      await expect(feedback).toHaveAttribute('data-outcome', 'unanswered');
      // The right choice is quoted in a <q>: no role or label names it.
      const quoted = squash(await feedback.locator('q').textContent() ?? '');
      expect(choices.get(id), `the answer quoted for ${id} is one of its choices`).toContain(quoted);
      right.set(id, quoted);
    }
    await this.goto();
    return { ids, right, choices };
  }
}
