// English strings for DING and announcements.
export default {
};
