// Inline SVG icons for the shell: 24×24, stroked with currentColor (drawn in Icon.svelte). No icon pack.
export type IconName = 'studio' | 'gallery' | 'batch' | 'tasks' | 'logs' | 'settings';
