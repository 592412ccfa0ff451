/**
 * The HTML that embeds an agent in a web page for anonymous visitors (docs/widget.md): the widget's single-file script
 * from the MetisAI server (`<origin>/widget/<version>/metis-chat.iife.js`) and one `<metis-chat>` with the agent and a
 * publishable key. Attribute values are HTML-escaped.
 */
export function embedSnippet(options: { origin: string; version: string; agentId: string; publishableKey: string }): string {
  const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const origin = escape(options.origin);
  return [
    `<script src="${origin}/widget/${escape(options.version)}/metis-chat.iife.js" defer></script>`,
    `<metis-chat server="${origin}" agent="${escape(options.agentId)}" publishable-key="${escape(options.publishableKey)}"></metis-chat>`,
  ].join('\n');
}
