// Inline SVG icons for the shell: 24×24, stroked with currentColor. No icon pack.
export type IconName = 'studio' | 'gallery' | 'batch' | 'tasks' | 'logs' | 'settings';

/** SVG children (path/circle/rect markup) per icon; trusted, static strings. */
export const iconMarkup: { readonly [N in IconName]: string } = {
  studio:
    '<path d="M11 3c.7 4.4 2.6 6.3 7 7-4.4.7-6.3 2.6-7 7-.7-4.4-2.6-6.3-7-7 4.4-.7 6.3-2.6 7-7z"/>' +
    '<path d="M18.5 15.5c.25 1.2.8 1.75 2 2-1.2.25-1.75.8-2 2-.25-1.2-.8-1.75-2-2 1.2-.25 1.75-.8 2-2z"/>',
  gallery:
    '<rect x="3" y="4" width="18" height="16" rx="3"/><circle cx="9" cy="9.5" r="1.75"/>' +
    '<path d="m3.5 17.5 5-4.5 4 3.5 3-2.5 5 4"/>',
  batch: '<path d="M12 3.5 3.5 8 12 12.5 20.5 8z"/><path d="m3.5 12 8.5 4.5 8.5-4.5"/><path d="m3.5 16 8.5 4.5 8.5-4.5"/>',
  tasks:
    '<path d="m4 6.5 1.5 1.5 3-3"/><path d="m4 12.5 1.5 1.5 3-3"/><circle cx="6.25" cy="18.5" r="1.6"/>' +
    '<path d="M12 7h8M12 13h8M12 18.5h8"/>',
  logs:
    '<path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z"/><path d="M14 3v5h5"/>' +
    '<path d="M9 13h6M9 17h4"/>',
  settings:
    '<path d="M4 6.5h8M17 6.5h3M4 12h3M11 12h9M4 17.5h10M18 17.5h2"/>' +
    '<circle cx="14.5" cy="6.5" r="2.25"/><circle cx="9" cy="12" r="2.25"/><circle cx="16" cy="17.5" r="2.25"/>'
};
