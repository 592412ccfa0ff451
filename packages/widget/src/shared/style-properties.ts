import { noChange } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';

/**
 * `<div ${styleProperties({ top: '8px' })}>`: sets inline style properties through the CSSOM
 * (`style.setProperty`), never through a `style` attribute, and removes those no longer given. Lit's own `styleMap`
 * writes the `style` attribute on its first render, which a `style-src` without `'unsafe-inline'` blocks and reports
 * (lit/lit#4719); CSSOM writes are allowed.
 */
class StyleProperties extends Directive {
  #previous = new Set<string>();

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('styleProperties() belongs on an element, not in an attribute');
  }

  render(_properties: Readonly<Record<string, string>>): typeof noChange {
    return noChange;
  }

  override update(part: ElementPart, [properties]: [Readonly<Record<string, string>>]): typeof noChange {
    const style = (part.element as HTMLElement).style;
    for (const name of this.#previous) if (!(name in properties)) style.removeProperty(name);
    for (const [name, value] of Object.entries(properties)) style.setProperty(name, value);
    this.#previous = new Set(Object.keys(properties));
    return noChange;
  }
}

export const styleProperties = directive(StyleProperties);
