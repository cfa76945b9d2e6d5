// Simplified Chinese strings for DING and announcements.
export default {
};
