// @ts-check
// A run's tags and note on its page, editable unless the dashboard is read-only
// (`runner serve --read-only`, or bound beyond loopback): the only writes the page makes.
import { api } from './api.js';
import { h, mount } from './dom.js';

/** @typedef {import('../api-types.js').RunDetailItem} RunDetailItem */

/**
 * What the labels card needs of the page.
 *
 * @typedef {object} LabelsContext
 * @property {() => boolean} editable
 * @property {(change: { id: number, note?: string | null, tags?: readonly string[] }) => void} runChanged
 */

/**
 * @param {RunDetailItem} run
 * @param {LabelsContext} ctx
 * @returns {HTMLElement}
 */
export function runLabelsCard(run, ctx) {
  const editable = ctx.editable();
  let tags = [...run.tags];
  let note = run.note;
  const status = h('span', { class: 'labels-status muted small', role: 'status' });
  const tagList = h('div', { class: 'run-tags', id: 'run-tags' });
  /** @param {string} text @param {boolean} [error] */
  const say = (text, error = false) => {
    status.textContent = text;
    status.classList.toggle('error-text', error);
  };
  /** @param {{ add?: string[], remove?: string[] }} change */
  const changeTags = async (change) => {
    try {
      tags = [...(await api.changeTags(run.id, change)).tags];
      renderTags();
      ctx.runChanged({ id: run.id, tags });
      say('Saved');
    } catch (error) {
      say(error instanceof Error ? error.message : String(error), true);
    }
  };
  const renderTags = () =>
    mount(
      tagList,
      tags.length === 0 ? h('span', { class: 'muted small' }, 'No tags') : null,
      tags.map((tag) =>
        h(
          'span',
          { class: 'tag', dataset: { tag } },
          tag,
          editable
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'tag-x',
                  'aria-label': `remove tag ${tag}`,
                  title: 'Remove this tag',
                  onclick: () => void changeTags({ remove: [tag] }),
                },
                '×',
              )
            : null,
        ),
      ),
    );
  renderTags();

  const tagInput = h('input', {
    id: 'tag-input',
    type: 'text',
    placeholder: 'add a tag',
    'aria-label': 'add a tag',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const tagForm = editable
    ? h(
        'form',
        {
          class: 'tag-form',
          onsubmit: (/** @type {SubmitEvent} */ e) => {
            e.preventDefault();
            const added = tagInput.value.split(/[\s,]+/).filter(Boolean);
            if (added.length === 0) return;
            tagInput.value = '';
            void changeTags({ add: added });
          },
        },
        tagInput,
        h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Add'),
      )
    : null;

  const noteText = h('textarea', {
    id: 'note-input',
    rows: '3',
    placeholder: editable ? 'What was this run for? What did it show?' : '',
    'aria-label': 'note',
    readonly: !editable,
  });
  noteText.value = note ?? '';
  const save = h(
    'button',
    {
      type: 'button',
      class: 'btn',
      id: 'note-save',
      disabled: true,
      onclick: async () => {
        save.disabled = true;
        say('Saving…');
        try {
          note = (await api.setNote(run.id, noteText.value)).note;
          noteText.value = note ?? '';
          ctx.runChanged({ id: run.id, note });
          say('Saved');
        } catch (error) {
          save.disabled = false;
          say(error instanceof Error ? error.message : String(error), true);
        }
      },
    },
    'Save note',
  );
  noteText.addEventListener('input', () => {
    save.disabled = noteText.value === (note ?? '');
    say('');
  });

  return h(
    'section',
    { class: 'card run-labels' },
    h('h3', { class: 'card-title' }, 'Tags and note'),
    h('div', { class: 'labels-row' }, tagList, tagForm),
    noteText,
    h(
      'div',
      { class: 'labels-actions' },
      editable
        ? save
        : h(
            'span',
            { class: 'muted small' },
            'Read-only dashboard: edit with ',
            h('code', {}, `runner runs note ${run.id} "…"`),
          ),
      status,
    ),
  );
}
