ALTER TABLE comments DROP COLUMN body_html;
DROP INDEX posts_community_rising;
DROP INDEX posts_community_top;
DROP INDEX posts_community_hot;
DROP INDEX posts_community_new;
DROP TABLE feed_inbox;
