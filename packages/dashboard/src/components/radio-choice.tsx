import type { ComponentChildren } from 'preact';

/** One option of a radio group shown as a card: its title, an optional badge, and what it does. */
export function RadioChoice(props: {
  name: string;
  value: string;
  checked: boolean;
  onSelect: () => void;
  title: string;
  text: string;
  badge?: ComponentChildren;
}) {
  return (
    <label class="choice">
      <input
        type="radio"
        name={props.name}
        value={props.value}
        checked={props.checked}
        onChange={props.onSelect}
      />
      <span>
        <strong>{props.title}</strong>
        {props.badge}
        <span class="choice-text">{props.text}</span>
      </span>
    </label>
  );
}
