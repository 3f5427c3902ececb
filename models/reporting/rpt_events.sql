with events as (

    select
        cast(event_date as date) as event_date,
        event_code,
        label_zh,
        label_en
    from {{ ref('events') }}

)

select * from events
