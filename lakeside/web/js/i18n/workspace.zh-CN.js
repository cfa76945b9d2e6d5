// Simplified Chinese strings for the enterprise workspace: organization switcher, directory, admin pages.
export default {
};
