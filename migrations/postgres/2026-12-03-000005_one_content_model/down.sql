-- Back to image posts only. Fails (and changes nothing) while a text post
-- exists: its NULL caption and media cannot go back under NOT NULL, and
-- dropping posts is not a migration's call. Memes become plain images.
DROP TABLE votes;

DROP INDEX comments_by_author;
DROP INDEX comments_thread;
ALTER TABLE comments
    DROP CONSTRAINT comments_roots_have_no_parent,
    DROP COLUMN down_count,
    DROP COLUMN up_count,
    DROP COLUMN path,
    DROP COLUMN depth,
    DROP COLUMN parent_id;

DROP INDEX posts_rising;
DROP INDEX posts_top;
DROP INDEX posts_hot;
ALTER TABLE posts
    DROP CONSTRAINT posts_score_is_up_minus_down,
    DROP CONSTRAINT posts_text_has_a_title_and_no_media,
    DROP CONSTRAINT posts_meme_has_its_spec,
    DROP CONSTRAINT posts_image_kinds_have_media,
    DROP COLUMN rising_rank,
    DROP COLUMN hot_rank,
    DROP COLUMN score,
    DROP COLUMN down_count,
    DROP COLUMN up_count,
    DROP COLUMN community_id,
    DROP COLUMN link_url,
    DROP COLUMN body_html,
    DROP COLUMN body_md,
    DROP COLUMN title,
    DROP COLUMN meme_model,
    DROP COLUMN meme_prompt,
    DROP COLUMN meme_bottom,
    DROP COLUMN meme_top,
    DROP COLUMN meme_concept,
    DROP COLUMN kind,
    ALTER COLUMN media_kind SET NOT NULL,
    ALTER COLUMN media_id SET NOT NULL,
    ALTER COLUMN caption SET NOT NULL;

DROP TABLE communities;
