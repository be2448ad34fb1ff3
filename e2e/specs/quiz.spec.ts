import { expect, test } from '../support/fixtures';
import { QuizForm, type QuizAnswers } from '../support/learn';

// /learn/quiz is a plain form the server grades. The right answers are not
// copied into this spec: QuizForm.answers sends the form blank once, and
// the graded page quotes the right choice under every question, as it
// would for a reader.

/** wrongChoice is a choice of question id that is not the right one. */
function wrongChoice(a: QuizAnswers, id: string): string {
  const wrong = a.choices.get(id)!.find((c) => c !== a.right.get(id));
  expect(wrong, `${id} has a wrong choice`).toBeDefined();
  return wrong!;
}

// The app has no scripts, so the quiz is a plain form POST either way; the
// whole spec runs with JavaScript off to prove it stays one.
test.use({ javaScriptEnabled: false });

test('every question answered right scores N of N, with an explanation and a step link for each', async ({ page }) => {
  const quiz = new QuizForm(page);
  const answers = await quiz.answers();
  const n = answers.ids.length;
  expect(n, 'questions').toBeGreaterThan(0);
  await expect(page.getByText(`${n} questions, from easy to hard`)).toBeVisible();

  for (const id of answers.ids) await quiz.choose(id, answers.right.get(id)!);
  await quiz.submit();
  await expect(page).toHaveURL((url) => url.pathname === '/learn/quiz' && url.hash === '#score');
  await quiz.expectScore(n, n, 0, 0);

  const stepLinks = new Set<string>();
  for (const id of answers.ids) {
    // The form comes back with the answer kept.
    await expect(quiz.question(id).getByRole('radio', { name: answers.right.get(id)!, exact: true })).toBeChecked();
    const feedback = quiz.feedback(id);
    await expect(feedback, id).toHaveAttribute('data-outcome', 'correct');
    // "Correct." and then why, in more than a word or two.
    await expect(feedback, id).toContainText(/^\s*Correct\.\s+\S+(\s+\S+){3,}/);
    const link = feedback.getByRole('link', { name: /^step \d+: \S/ });
    await expect(link, `${id} links to its step`).toHaveAttribute('href', /^\/learn\/\d+$/);
    stepLinks.add((await link.getAttribute('href'))!);
  }

  // Every step linked to exists; follow the first question's link.
  for (const href of stepLinks) expect((await page.request.get(href)).status(), href).toBe(200);
  const link = quiz.feedback(answers.ids[0]).getByRole('link', { name: /^step \d+: / });
  const [href, name] = [await link.getAttribute('href'), await link.innerText()];
  await link.click();
  await expect(page).toHaveURL(href!);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name.replace(/^step \d+: /, '').replace(/\.$/, ''));
});

test('every question answered wrong scores 0, and each shows the right answer', async ({ page }) => {
  const quiz = new QuizForm(page);
  const answers = await quiz.answers();
  const n = answers.ids.length;
  for (const id of answers.ids) await quiz.choose(id, wrongChoice(answers, id));
  await quiz.submit();
  await quiz.expectScore(n, 0, n, 0);
  for (const id of answers.ids) {
    const feedback = quiz.feedback(id);
    await expect(feedback, id).toHaveAttribute('data-outcome', 'wrong');
    await expect(feedback, id).toContainText('Not this one.');
    await expect(feedback.getByText(answers.right.get(id)!, { exact: true }), `${id} quotes the right answer`).toBeVisible();
    await expect(feedback.getByRole('link', { name: /^step \d+: / })).toHaveAttribute('href', /^\/learn\/\d+$/);
  }
});

test('a partly answered quiz counts the questions left blank as unanswered', async ({ page }) => {
  const quiz = new QuizForm(page);
  const answers = await quiz.answers();
  const n = answers.ids.length;
  expect(n, 'enough questions for a right, a wrong and a blank one').toBeGreaterThanOrEqual(3);
  // A third right, a third wrong, the rest blank.
  const third = Math.floor(n / 3);
  const right = answers.ids.slice(0, third);
  const wrong = answers.ids.slice(third, 2 * third);
  const blank = answers.ids.slice(2 * third);
  for (const id of right) await quiz.choose(id, answers.right.get(id)!);
  for (const id of wrong) await quiz.choose(id, wrongChoice(answers, id));
  await quiz.submit();
  await quiz.expectScore(n, right.length, wrong.length, blank.length);

  for (const [ids, outcome] of [
    [right, 'correct'],
    [wrong, 'wrong'],
    [blank, 'unanswered'],
  ] as const) {
    for (const id of ids) await expect(quiz.feedback(id), id).toHaveAttribute('data-outcome', outcome);
  }
  for (const id of blank) {
    await expect(quiz.feedback(id)).toContainText('Unanswered.');
    await expect(quiz.question(id).getByRole('radio', { checked: true })).toHaveCount(0);
  }

  // Starting again gives a blank form.
  await page.getByRole('link', { name: 'Start again with a blank form' }).click();
  await expect(page.getByTestId('quiz-score')).toHaveCount(0);
  await expect(page.getByRole('radio', { checked: true })).toHaveCount(0);
});
